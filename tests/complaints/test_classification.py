"""The organization file's classification (ISO 10002 8.2): categories, the sub-categories
a category may be divided into, and what each key is called in each language."""

from __future__ import annotations

import pytest

from complaints.enums import Locale
from complaints.organization import load_organization
from complaints.settings import PROJECT_DIR
from complaints.taxonomy import Classification

ORG = load_organization(PROJECT_DIR / "samples" / "organization.toml")


def test_every_key_a_complaint_may_have_in_the_files_order() -> None:
    keys = ORG.classification.all_keys()
    assert keys[:4] == [
        "product-defect",
        "product-defect/electrical",
        "product-defect/mechanical",
        "product-defect/finish",
    ]
    assert "safety" in keys and "safety/electrical" not in keys
    assert ORG.classification.has_subcategories()
    assert not Classification.model_validate({"categories": {"x": {"en": "X"}}}).has_subcategories()


@pytest.mark.parametrize(
    ("key", "locale", "name"),
    [
        ("product-defect", Locale.EN, "Product defect"),
        ("product-defect/electrical", Locale.EN, "Product defect › Electrical fault"),
        ("product-defect/electrical", Locale.ZH_CN, "产品缺陷 › 电气故障"),
        ("product-defect/rust", Locale.EN, None),
        ("retired", Locale.EN, None),
    ],
)
def test_a_key_is_named_after_its_category(key: str, locale: Locale, name: str | None) -> None:
    assert ORG.classification.name_of(key, locale) == name
