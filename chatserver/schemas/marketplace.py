"""The SmileFactory marketplace on the wire: listings and the transactions on them."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import Field, model_validator

from chatserver.schemas.base import InputModel, Timestamp, WireModel
from chatserver.schemas.fields import Currency, Time, Url, money, text, unchanged
from chatserver.schemas.pagination import Page, PageQuery

ListingType = Literal["product", "service", "job", "partnership", "investment"]
ListingStatus = Literal["active", "sold", "expired", "removed"]
TransactionStatus = Literal["initiated", "negotiating", "agreed", "completed", "cancelled"]
Party = Literal["buyer", "seller"]

Money = money(12)  # marketplace amounts are numeric(12, 2)
Tag = text(50, 1)
Message = text(2000)


def money(value: Decimal | None) -> str | None:
    """A stored amount as the wire writes it."""
    return None if value is None else f"{value:.2f}"


class ListingIn(InputModel):
    title: text(500, 1)
    description: text(20000, 1)
    category: text(100, 1)
    listing_type: ListingType
    price: Money | None = Field(None, description="What you ask; null or absent when there is no price "
                                                  "(a job, a partnership).")
    currency: Currency = "USD"
    negotiable: bool = Field(False, description="Buyers may make offers and counter-offers.")
    location: text(255) | None = None
    tags: Annotated[list[Tag], Field(max_length=20)] = Field(default_factory=list)
    images: Annotated[list[Url], Field(max_length=10)] = Field(default_factory=list)
    contact_method: text(100) | None = None
    expires_at: Time | None = Field(None, description="When the listing expires: in the future and at most a "
                                                      "year ahead; 30 days from now when absent.")


class ListingUpdateIn(InputModel):
    """Only the seller, and only while the listing is active or expired. A later `expiresAt` renews
    an expired listing."""

    title: text(500, 1) = unchanged()
    description: text(20000, 1) = unchanged()
    category: text(100, 1) = unchanged()
    listing_type: ListingType = unchanged()
    price: Money | None = None
    currency: Currency = unchanged()
    negotiable: bool = unchanged()
    location: text(255) | None = None
    tags: Annotated[list[Tag], Field(max_length=20)] = unchanged()
    images: Annotated[list[Url], Field(max_length=10)] = unchanged()
    contact_method: text(100) | None = None
    expires_at: Time = unchanged("In the future and at most a year ahead.")


class ListingOut(WireModel):
    id: UUID
    seller_id: UUID
    seller_username: str
    title: str
    description: str
    category: str
    listing_type: ListingType
    price: str | None
    currency: str
    negotiable: bool
    status: ListingStatus
    location: str | None
    tags: list[str]
    images: list[str]
    contact_method: str | None
    view_count: int = Field(description="Times someone other than the seller opened the listing.")
    expires_at: Timestamp
    created_at: Timestamp
    updated_at: Timestamp
    is_mine: bool

    @classmethod
    def render(cls, row: Any) -> ListingOut:
        return cls.from_row(row, price=money(row["price"]))


class ListingPage(Page[ListingOut]):
    pass


class ListingQuery(PageQuery):
    """Newest first. Removed listings are only ever listed to their seller."""

    listing_type: ListingType | None = None
    status: ListingStatus | None = Field(None, description="`active` for what can be bought now.")
    category: text(100, 1) | None = None
    seller_id: UUID | None = None
    currency: Currency | None = None
    min_price: Money | None = Field(None, description="Listings priced at least this (unpriced ones are left out).")
    max_price: Money | None = Field(None, description="Listings priced at most this (unpriced ones are left out).")

    @model_validator(mode="after")
    def _range(self) -> ListingQuery:
        if self.min_price is not None and self.max_price is not None \
                and Decimal(self.min_price) > Decimal(self.max_price):
            raise ValueError("minPrice must not be above maxPrice")
        return self


class TransactionIn(InputModel):
    offer: Money | None = Field(None, description="The amount you offer; the listing's price when absent. Only a "
                                                  "negotiable listing takes another amount.")
    message: Message | None = None


class NegotiateIn(InputModel):
    amount: Money = Field(description="Your offer or counter-offer.")
    message: Message | None = None


class TransactionOut(WireModel):
    id: UUID
    listing_id: UUID
    listing_title: str
    seller_id: UUID
    buyer_id: UUID
    amount: str | None = Field(description="The offer on the table.")
    agreed_amount: str | None = Field(description="The price agreed on, from `agreed` on.")
    currency: str
    status: TransactionStatus
    message: str | None
    my_role: Party = Field(description="Your side of it.")
    completed_at: Timestamp | None
    created_at: Timestamp
    updated_at: Timestamp

    @classmethod
    def render(cls, row: Any, viewer_id: UUID) -> TransactionOut:
        """As one of its two parties sees it."""
        return cls.from_row(row, amount=money(row["amount"]), agreed_amount=money(row["agreed_amount"]),
                            my_role="buyer" if row["buyer_id"] == viewer_id else "seller")


class TransactionPage(Page[TransactionOut]):
    pass


class TransactionChangedEvent(WireModel):
    transaction: TransactionOut = Field(description="As you see it, in its new status.")


class TransactionQuery(PageQuery):
    """Your transactions, newest first."""

    role: Party | None = Field(None, description="Only those where you are the buyer, or the seller.")
    status: TransactionStatus | None = None
    listing_id: UUID | None = None
