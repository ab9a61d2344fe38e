"""The organization file's classification (ISO 10002 8.2): the categories the assessment
asks for (each may be divided into sub-categories) and the product families products fall
into, each named in English and Chinese. Reviews count complaints by them."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from complaints.enums import Locale


class Named(BaseModel):
    """A key of the classification with its name in each language (English required)."""

    model_config = ConfigDict(populate_by_name=True)

    key: str
    en: str = Field(min_length=1)
    zh_cn: str = Field("", alias="zh-CN")

    def name(self, locale: Locale) -> str:
        """Return the name in a language (English where none is given)."""
        return (self.zh_cn if locale == Locale.ZH_CN else "") or self.en


class Category(Named):
    # Finer keys within the category (optional); a complaint classified to one is
    # keyed ``<category>/<sub-category>`` and still counts for its category.
    subcategories: dict[str, Named] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _keyed(cls, value: Any) -> Any:
        if isinstance(value, dict) and isinstance(value.get("subcategories"), dict):
            subs = value["subcategories"]
            value = {**value, "subcategories": {k: {"key": k, **v} for k, v in subs.items()}}
        return value


SUBCATEGORY_SEPARATOR = "/"


class ProductFamily(Named):
    # Product names or keywords of the family (matched case-insensitively, as a
    # department's products are).
    products: list[str] = Field(default_factory=list)


class Classification(BaseModel):
    """How complaints are classified for trend analysis (ISO 10002 8.2): the categories
    the assessment asks for, and the product families products fall into."""

    categories: dict[str, Category] = Field(default_factory=dict)
    product_families: dict[str, ProductFamily] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _keyed(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        return {
            name: {key: {"key": key, **item} for key, item in (value.get(name) or {}).items()}
            for name in ("categories", "product_families")
        }

    def all_keys(self) -> list[str]:
        """Return every key a complaint may be classified by: each category, and each of
        its sub-categories as ``<category>/<sub-category>``, in the file's order."""
        return [
            key
            for category in self.categories.values()
            for key in (
                category.key,
                *(f"{category.key}{SUBCATEGORY_SEPARATOR}{s}" for s in category.subcategories),
            )
        ]

    def has_subcategories(self) -> bool:
        """Return whether any category is divided further."""
        return any(category.subcategories for category in self.categories.values())

    def name_of(self, key: str, locale: Locale) -> str | None:
        """Return what a classification key is called (None: the file does not name it);
        a sub-category is named after its category: "Product defect › Electrical"."""
        head, _, sub = key.partition(SUBCATEGORY_SEPARATOR)
        category = self.categories.get(head)
        if category is None:
            return None
        if not sub:
            return category.name(locale)
        if sub not in category.subcategories:
            return None
        return f"{category.name(locale)} › {category.subcategories[sub].name(locale)}"

    def family_of(self, product: str) -> str | None:
        """Return the key of the product family a product belongs to, if any."""
        wanted = product.casefold()
        for family in self.product_families.values():
            if any(p.casefold() in wanted for p in family.products):
                return family.key
        return None
