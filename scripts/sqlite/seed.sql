-- Three users to try the template with (passwords are bcrypt, cost 10):
--   ada@example.com   / correct horse battery staple  (verified, with metadata)
--   grace@example.com / hopper1906                    (username "grace")
--   linus@example.com / kernel-hacker-91              (not verified)
INSERT INTO users (email, email_verified, username, password_hash, name, given_name, family_name, user_metadata, app_metadata) VALUES
  ('ada@example.com', 1, NULL, '$2b$10$3cTQb7oL.d/vXiAlRDP4Ee.dYtAg1uMUn2e/VTNk3WxZITutyPTD.', 'Ada Lovelace', 'Ada', 'Lovelace', '{"theme": "dark"}', '{"plan": "pro"}'),
  ('grace@example.com', 1, 'grace', '$2b$10$aMAEuAoLhogvdgAV6n6kgeZw5RBfBpX/l4uzU0UZ.sVFarLnoXqhK', 'Grace Hopper', 'Grace', 'Hopper', NULL, NULL),
  ('linus@example.com', 0, NULL, '$2b$10$VucLhOm5XazvwZ7XzeTIquB7lrgarzNbUnsVT2XSEKLLgadY9qenS', NULL, NULL, NULL, NULL, NULL);
