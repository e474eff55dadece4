function remove(id, callback) {
  const request = require('request');

  request.del({
    url: configuration.api_url + '/users/' + encodeURIComponent(id),
    auth: configuration.api_token ? { bearer: configuration.api_token } : undefined,
  }, function (err, response) {
    if (err) return callback(err);
    if (response.statusCode >= 300 && response.statusCode !== 404) {
      return callback(new Error('DELETE /users answered ' + response.statusCode));
    }
    callback(null);
  });
}
