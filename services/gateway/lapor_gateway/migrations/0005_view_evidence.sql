-- Evidence (issue 18): the references of the files a non-rahasia complaint was submitted with, for the
-- public's signed links (status look-ups, Open311 media_url). A rahasia complaint's stay empty.
ALTER TABLE complaint_view ADD COLUMN evidence jsonb NOT NULL DEFAULT '[]'::jsonb;
