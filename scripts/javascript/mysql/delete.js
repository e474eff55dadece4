function remove(id, callback) {
  const mysql = require('mysql');

  const connection = mysql.createConnection({ database: 'users' });
  connection.connect();

  connection.query('DELETE FROM users WHERE id = ?', [id], function (err) {
    if (err) return callback(err);
    callback(null);
  });
}
