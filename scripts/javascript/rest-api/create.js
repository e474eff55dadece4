function create(user, callback) {
  const axios = require('axios');

  const api = axios.create({
    baseURL: configuration.api_url,
    headers: configuration.api_token ? { authorization: 'Bearer ' + configuration.api_token } : {},
    validateStatus: () => true,
  });
  api.post('/users', { email: user.email, password: user.password, username: user.username })
    .then(function (response) {
      if (response.status === 409) return callback(new ValidationError('user_exists', 'the user already exists'));
      if (response.status === 400) return callback(new ValidationError(response.data.code, response.data.message));
      if (response.status !== 200 && response.status !== 201) {
        return callback(new Error('POST /users answered ' + response.status));
      }
      callback(null);
    })
    .catch(callback);
}
