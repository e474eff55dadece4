function login(email, password, callback) {
  const request = require('request');

  request.post({
    url: configuration.api_url + '/login',
    json: { username_or_email: email, password: password },
    auth: configuration.api_token ? { bearer: configuration.api_token } : undefined,
  }, function (err, response, body) {
    if (err) return callback(err);
    if (response.statusCode === 401 || response.statusCode === 404) {
      return callback(new WrongUsernameOrPasswordError(email));
    }
    if (response.statusCode !== 200) {
      return callback(new Error('POST /login answered ' + response.statusCode));
    }
    callback(null, {
      user_id: body.id,
      email: body.email,
      email_verified: body.email_verified,
      username: body.username,
      user_metadata: body.user_metadata,
      app_metadata: body.app_metadata,
    });
  });
}
