-- The reporter's key, encrypted as intake sent it with the contact (reporter.contact_shared), for the
-- reporter's first message only: put into that message's e-mail and SMS at send time (never into the
-- stored message, nor into the inbox) and deleted once those deliveries are done.
ALTER TABLE contacts ADD COLUMN key_ciphertext text;
