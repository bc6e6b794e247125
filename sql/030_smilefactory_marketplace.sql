-- SmileFactory marketplace: listings and the transactions between a buyer and the seller.
-- The seed's columns, plus `expires_at` (the worker marks a listing `expired` after it),
-- `agreed_amount` (the price both sides settled on) and `completed_at`. The status flow and
-- who may take each step are kept by chatserver/actions/marketplace.py; what one row or one
-- index can say is said here as well.

CREATE TABLE marketplace_listings (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    seller_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title           text NOT NULL CHECK (length(title) BETWEEN 1 AND 500),
    description     text NOT NULL CHECK (length(description) BETWEEN 1 AND 20000),
    category        text NOT NULL CHECK (length(category) BETWEEN 1 AND 100),
    listing_type    text NOT NULL CHECK (listing_type IN ('product', 'service', 'job', 'partnership', 'investment')),
    -- null: no price asked (a partnership, a job); otherwise what the seller asks
    price           numeric(12, 2) CHECK (price >= 0),
    currency        text NOT NULL DEFAULT 'USD' CHECK (currency ~ '^[A-Z]{3}$'),
    negotiable      boolean NOT NULL DEFAULT false,
    status          text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'sold', 'expired', 'removed')),
    location        text CHECK (length(location) <= 255),
    tags            text[] NOT NULL DEFAULT '{}',
    images          text[] NOT NULL DEFAULT '{}',
    contact_method  text CHECK (length(contact_method) <= 100),
    view_count      integer NOT NULL DEFAULT 0 CHECK (view_count >= 0),
    expires_at      timestamptz NOT NULL DEFAULT now() + interval '30 days',
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX marketplace_listings_seller_idx ON marketplace_listings (seller_id, created_at, id);
CREATE INDEX marketplace_listings_created_at_idx ON marketplace_listings (created_at, id);
CREATE INDEX marketplace_listings_category_idx ON marketplace_listings (category);
CREATE INDEX marketplace_listings_type_idx ON marketplace_listings (listing_type);
CREATE INDEX marketplace_listings_status_idx ON marketplace_listings (status);
CREATE INDEX marketplace_listings_price_idx ON marketplace_listings (price);
-- what the expiry task looks for
CREATE INDEX marketplace_listings_due_idx ON marketplace_listings (expires_at) WHERE status = 'active';

CREATE TABLE marketplace_transactions (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    listing_id     uuid NOT NULL REFERENCES marketplace_listings (id) ON DELETE CASCADE,
    seller_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    buyer_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- the offer on the table (the listing's price unless someone offered another)
    amount         numeric(12, 2) CHECK (amount >= 0),
    agreed_amount  numeric(12, 2) CHECK (agreed_amount >= 0),
    currency       text NOT NULL DEFAULT 'USD' CHECK (currency ~ '^[A-Z]{3}$'),
    status         text NOT NULL DEFAULT 'initiated'
                   CHECK (status IN ('initiated', 'negotiating', 'agreed', 'completed', 'cancelled')),
    message        text CHECK (length(message) <= 2000),
    completed_at   timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT marketplace_transactions_not_own_listing CHECK (buyer_id <> seller_id),
    -- agreed and completed deals carry the price agreed on
    CONSTRAINT marketplace_transactions_agreed_price
        CHECK (status NOT IN ('agreed', 'completed') OR agreed_amount IS NOT NULL),
    CONSTRAINT marketplace_transactions_completed_at CHECK ((status = 'completed') = (completed_at IS NOT NULL))
);
-- A listing is sold once: at most one completed transaction on it.
CREATE UNIQUE INDEX marketplace_transactions_one_sale ON marketplace_transactions (listing_id)
    WHERE status = 'completed';
-- A buyer has at most one open transaction on a listing.
CREATE UNIQUE INDEX marketplace_transactions_one_open ON marketplace_transactions (listing_id, buyer_id)
    WHERE status IN ('initiated', 'negotiating', 'agreed');
CREATE INDEX marketplace_transactions_listing_idx ON marketplace_transactions (listing_id, status);
CREATE INDEX marketplace_transactions_seller_idx ON marketplace_transactions (seller_id, created_at, id);
CREATE INDEX marketplace_transactions_buyer_idx ON marketplace_transactions (buyer_id, created_at, id);
