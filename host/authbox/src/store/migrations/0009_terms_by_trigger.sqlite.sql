CREATE TRIGGER user_terms_of_new_user AFTER INSERT ON users BEGIN
    INSERT INTO user_terms (tenant_id, user_id, field, value)
    SELECT NEW.tenant_id, NEW.user_id, json_extract(term.value, '$[0]'),
           json_extract(term.value, '$[1]')
    FROM json_each(COALESCE(NEW.app_metadata_terms, '[]')) AS term
    UNION ALL
    SELECT NEW.tenant_id, NEW.user_id, json_extract(term.value, '$[0]'),
           json_extract(term.value, '$[1]')
    FROM json_each(COALESCE(NEW.user_metadata_terms, '[]')) AS term;
END;

CREATE TRIGGER user_terms_of_app_metadata AFTER UPDATE OF app_metadata_terms ON users
WHEN OLD.app_metadata_terms IS NOT NEW.app_metadata_terms BEGIN
    DELETE FROM user_terms
    WHERE tenant_id = OLD.tenant_id AND user_id = OLD.user_id
      AND field >= 'app_metadata.' AND field < 'app_metadata/';
    INSERT INTO user_terms (tenant_id, user_id, field, value)
    SELECT NEW.tenant_id, NEW.user_id, json_extract(term.value, '$[0]'),
           json_extract(term.value, '$[1]')
    FROM json_each(COALESCE(NEW.app_metadata_terms, '[]')) AS term;
END;

CREATE TRIGGER user_terms_of_user_metadata AFTER UPDATE OF user_metadata_terms ON users
WHEN OLD.user_metadata_terms IS NOT NEW.user_metadata_terms BEGIN
    DELETE FROM user_terms
    WHERE tenant_id = OLD.tenant_id AND user_id = OLD.user_id
      AND field >= 'user_metadata.' AND field < 'user_metadata/';
    INSERT INTO user_terms (tenant_id, user_id, field, value)
    SELECT NEW.tenant_id, NEW.user_id, json_extract(term.value, '$[0]'),
           json_extract(term.value, '$[1]')
    FROM json_each(COALESCE(NEW.user_metadata_terms, '[]')) AS term;
END;

CREATE TRIGGER user_terms_of_deleted_user AFTER DELETE ON users BEGIN
    DELETE FROM user_terms WHERE tenant_id = OLD.tenant_id AND user_id = OLD.user_id;
END;
