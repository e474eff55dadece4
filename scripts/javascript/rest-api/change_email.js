function changeEmail(email, newEmail, verified, callback) {
  const request = require('request');

  request.post({
    url: configuration.api_url + '/users/change-email',
    json: { email: email, new_email: newEmail, verified: verified },
    auth: configuration.api_token ? { bearer: configuration.api_token } : undefined,
  }, function (err, response) {
    if (err) return callback(err);
    if (response.statusCode === 404) return callback(null, false);
    if (response.statusCode >= 300) return callback(new Error('POST /users/change-email answered ' + response.statusCode));
    callback(null, true);
  });
}
