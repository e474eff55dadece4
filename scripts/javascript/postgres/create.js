function create(user, callback) {
  const bcrypt = require('bcrypt');
  const { Pool } = require('pg');

  const pool = new Pool({ connectionString: 'postgres://localhost/users' });
  bcrypt.hash(user.password, 10, function (err, hashedPassword) {
    if (err) return callback(err);

    const query = 'INSERT INTO users(email, password, nickname) VALUES ($1, $2, $3)';
    const nickname = user.email.split('@')[0];
    pool.query(query, [user.email, hashedPassword, nickname], function (err) {
      if (err && err.code === '23505') {
        return callback(new ValidationError('user_exists', 'A user with this email already exists.'));
      }
      callback(err || null);
    });
  });
}
