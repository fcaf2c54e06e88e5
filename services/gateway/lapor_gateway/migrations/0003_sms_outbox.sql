-- SMS replies waiting for the SMS provider (provider-neutral). The provider pulls them with
-- GET /sms/outbox and confirms with POST /sms/outbox/{id}/sent; the number is then forgotten.
CREATE TABLE sms_outbox (
    id                  bigserial   PRIMARY KEY,
    in_reply_to         text        NOT NULL,              -- the inbound message id
    kind                text        NOT NULL,              -- accepted | rejected | status
    to_phone            text,                              -- NULL once sent
    body                text        NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    sent_at             timestamptz,
    UNIQUE (in_reply_to, kind)
);
CREATE INDEX sms_outbox_unsent ON sms_outbox (id) WHERE sent_at IS NULL;
