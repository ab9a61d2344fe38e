"""The web app's background work: the loop (:mod:`.loop`), the run jobs (:mod:`.runs`),
what they read and write in our database (:mod:`.records`), and the one adapter to
Prefect (:mod:`.prefect_runs`)."""
