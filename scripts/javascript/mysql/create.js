function create(user, callback) {
  const mysql = require('mysql');
  const bcrypt = require('bcrypt');

  const connection = mysql.createConnection({ database: 'users' });
  connection.connect();

  bcrypt.hash(user.password, 10, function (err, hash) {
    if (err) return callback(err);

    const insert = { email: user.email, password: hash, nickname: user.email.split('@')[0] };
    connection.query('INSERT INTO users SET ?', insert, function (err) {
      if (err && err.code === 'ER_DUP_ENTRY') {
        return callback(new ValidationError('user_exists', 'A user with this email already exists.'));
      }
      callback(err || null);
    });
  });
}
