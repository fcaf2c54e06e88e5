-- Evidence (issue 18): the references (object id, type, size, hash; never a link) of the files the complaint
-- was submitted with, folded from its complaint.routed like its other content. The files of each response and
-- each reporter's reply stay in their timeline line's body (the event's payload). The complaint page signs
-- links to both for the officer's agency (docs/evidence.md).
ALTER TABLE complaints ADD COLUMN evidence jsonb NOT NULL DEFAULT '[]'::jsonb;

-- Complaints projected before this migration: their latest routing's files.
UPDATE complaints c
   SET evidence = r.files
  FROM (SELECT DISTINCT ON (complaint_id) complaint_id, body->'evidence' AS files
          FROM timeline
         WHERE event_type = 'complaint.routed' AND jsonb_typeof(body->'evidence') = 'array'
         ORDER BY complaint_id, occurred_at DESC, event_id DESC) r
 WHERE c.complaint_id = r.complaint_id;
