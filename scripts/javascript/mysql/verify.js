function verify(email, callback) {
  const mysql = require('mysql');

  const connection = mysql.createConnection({ database: 'users' });
  connection.connect();

  const query = 'UPDATE users SET email_verified = true WHERE email_verified = false AND email = ?';
  connection.query(query, [email], function (err, results) {
    if (err) return callback(err);
    callback(null, results.affectedRows > 0);
  });
}
