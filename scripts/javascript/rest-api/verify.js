function verify(email, callback) {
  const request = require('request');

  request.post({
    url: configuration.api_url + '/users/verify',
    json: { email: email },
    auth: configuration.api_token ? { bearer: configuration.api_token } : undefined,
  }, function (err, response) {
    if (err) return callback(err);
    if (response.statusCode === 404) return callback(null, false);
    if (response.statusCode >= 300) return callback(new Error('POST /users/verify answered ' + response.statusCode));
    callback(null, true);
  });
}
