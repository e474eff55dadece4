function login(email, password, callback) {
  const bcrypt = require('bcrypt');
  const postgres = require('pg');

  // authbox connects to the connection's PostgreSQL data source: this string
  // only names it (`users`); its host and credentials are never used.
  const conString = 'postgres://user:pass@localhost/users';
  postgres.connect(conString, function (err, client, done) {
    if (err) return callback(err);

    const query = 'SELECT id, nickname, email, password, email_verified FROM users WHERE email = $1';
    client.query(query, [email], function (err, result) {
      done();
      if (err || result.rows.length === 0) {
        return callback(err || new WrongUsernameOrPasswordError(email));
      }

      const user = result.rows[0];
      bcrypt.compare(password, user.password, function (err, isValid) {
        if (err || !isValid) {
          return callback(err || new WrongUsernameOrPasswordError(email));
        }
        callback(null, {
          user_id: user.id,
          nickname: user.nickname,
          email: user.email,
          email_verified: user.email_verified,
        });
      });
    });
  });
}
