function remove(id, callback) {
  const postgres = require('pg');

  postgres.connect('postgres://localhost/users', function (err, client, done) {
    if (err) return callback(err);

    // `id` arrives as text and goes untyped, as node-postgres sends it:
    // PostgreSQL reads it as the integer the column is.
    client.query('DELETE FROM users WHERE id = $1', [id], function (err) {
      done();
      return callback(err || null);
    });
  });
}
