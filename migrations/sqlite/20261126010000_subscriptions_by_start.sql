-- The Subscriptions page reads one page at a time in this order; with the index that is
-- one range read, not a sort of all of a customer's subscriptions on every page.
CREATE INDEX subscriptions_by_customer_start ON subscriptions (customer_id, start_date DESC, product, id);
