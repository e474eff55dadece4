async function getByEmail(email, callback) {
  const headers = configuration.api_token ? { authorization: 'Bearer ' + configuration.api_token } : {};
  try {
    const response = await fetch(configuration.api_url + '/users?email=' + encodeURIComponent(email), { headers });
    if (response.status === 404) return callback(null);
    if (!response.ok) return callback(new Error('GET /users answered ' + response.status));
    const user = await response.json();
    callback(null, { user_id: user.id, email: user.email, email_verified: user.email_verified, username: user.username });
  } catch (err) {
    callback(err);
  }
}
