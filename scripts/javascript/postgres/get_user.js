async function getByEmail(email, callback) {
  const { Client } = require('pg');

  const client = new Client({ database: 'users' });
  try {
    await client.connect();
    const result = await client.query(
      'SELECT id, nickname, email, email_verified, created_at FROM users WHERE email = $1',
      [email]
    );
    if (result.rows.length === 0) return callback(null);

    const user = result.rows[0];
    callback(null, {
      user_id: user.id,
      nickname: user.nickname,
      email: user.email,
      email_verified: user.email_verified,
      app_metadata: { member_since: user.created_at.toISOString() },
    });
  } catch (err) {
    callback(err);
  } finally {
    await client.end();
  }
}
