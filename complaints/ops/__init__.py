"""What operators see and the sweeps that keep runs honest: each run's view, the overview,
the run journal and the deadline watch."""
