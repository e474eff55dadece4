-- One function for the three triggers; OLD and NEW are read only where the
-- operation has them.
CREATE FUNCTION authbox_user_terms() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    app_changed BOOLEAN := TRUE;
    user_changed BOOLEAN := TRUE;
BEGIN
    IF TG_OP = 'DELETE' THEN
        DELETE FROM user_terms WHERE tenant_id = OLD.tenant_id AND user_id = OLD.user_id;
        RETURN NULL;
    END IF;
    IF TG_OP = 'UPDATE' THEN
        app_changed := OLD.app_metadata_terms IS DISTINCT FROM NEW.app_metadata_terms;
        user_changed := OLD.user_metadata_terms IS DISTINCT FROM NEW.user_metadata_terms;
        IF app_changed THEN
            DELETE FROM user_terms
            WHERE tenant_id = OLD.tenant_id AND user_id = OLD.user_id
              AND starts_with(field, 'app_metadata.');
        END IF;
        IF user_changed THEN
            DELETE FROM user_terms
            WHERE tenant_id = OLD.tenant_id AND user_id = OLD.user_id
              AND starts_with(field, 'user_metadata.');
        END IF;
    END IF;
    IF app_changed THEN
        INSERT INTO user_terms (tenant_id, user_id, field, value)
        SELECT NEW.tenant_id, NEW.user_id, term ->> 0, term ->> 1
        FROM json_array_elements(COALESCE(NEW.app_metadata_terms, '[]')::json) AS term;
    END IF;
    IF user_changed THEN
        INSERT INTO user_terms (tenant_id, user_id, field, value)
        SELECT NEW.tenant_id, NEW.user_id, term ->> 0, term ->> 1
        FROM json_array_elements(COALESCE(NEW.user_metadata_terms, '[]')::json) AS term;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER user_terms_written
AFTER INSERT OR DELETE OR UPDATE OF app_metadata_terms, user_metadata_terms ON users
FOR EACH ROW EXECUTE FUNCTION authbox_user_terms();

-- Room on each page for a login's new row version beside the old one, so
-- that PostgreSQL updates it in place of the page (a HOT update) instead of
-- adding an entry to each of the users' indexes: every login rewrites the
-- row, and migration 7 added six indexes.
ALTER TABLE users SET (fillfactor = 70);
