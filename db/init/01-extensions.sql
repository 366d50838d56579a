-- Runs once, when the PostgreSQL container creates its data volume.
-- The schema itself belongs to the ticket service's Alembic migrations; this only
-- prepares what a migration may not be allowed to do as the application role.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
