function changePassword(email, newPassword, callback) {
  const mysql = require('mysql');
  const bcrypt = require('bcrypt');

  const connection = mysql.createConnection({ database: 'users' });
  connection.connect();

  bcrypt.hash(newPassword, 10, function (err, hash) {
    if (err) return callback(err);

    connection.query('UPDATE users SET password = ? WHERE email = ?', [hash, email], function (err, results) {
      if (err) return callback(err);
      callback(null, results.affectedRows > 0);
    });
  });
}
