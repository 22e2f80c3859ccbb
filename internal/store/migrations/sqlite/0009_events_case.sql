-- A case's page lists the case's events; without an index that read the
-- whole event log, which every audited page view makes longer.
CREATE INDEX events_case ON events(case_id) WHERE case_id IS NOT NULL;
