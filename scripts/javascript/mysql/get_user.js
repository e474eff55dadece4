async function getByEmail(email, callback) {
  const mysql = require('mysql2/promise');

  try {
    const connection = await mysql.createConnection({ database: 'users' });
    const [rows] = await connection.execute(
      'SELECT id, nickname, email, email_verified, created_at FROM users WHERE email = ?',
      [email]
    );
    await connection.end();
    if (rows.length === 0) return callback(null);

    const user = rows[0];
    callback(null, {
      user_id: user.id.toString(),
      nickname: user.nickname,
      email: user.email,
      email_verified: user.email_verified === 1,
      app_metadata: { member_since: user.created_at.toISOString() },
    });
  } catch (err) {
    callback(err);
  }
}
