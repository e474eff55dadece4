// `bcrypt` and `bcryptjs`: hashing and checking done by the host's password
// capability (off the script's CPU budget, in the tenant's fair share). A
// salt from `genSalt` only carries its cost: the host draws every salt.
(function (shared) {
  'use strict';

  const { native, later, attempt } = shared;

  const SALT_PREFIX = '$authbox$';

  // A cost from a number of rounds, a `genSalt` result or a bcrypt salt/hash.
  function cost(saltOrRounds) {
    if (typeof saltOrRounds === 'number') return saltOrRounds;
    const text = String(saltOrRounds);
    const match = /^\$(?:authbox|2[abxy]?)\$(\d{1,2})\$/.exec(text);
    if (!match) throw new Error(`Invalid salt: ${text.slice(0, 7)}... (give a number of rounds or a salt from genSalt)`);
    return Number(match[1]);
  }

  function run(work, cb) {
    if (typeof cb === 'function') {
      const [failure, result] = attempt(work);
      later(cb, failure, result);
      return undefined;
    }
    return new Promise((resolve) => resolve(work()));
  }

  const compareSync = (password, hash) => native.passwordVerify(String(password), String(hash));
  const hashSync = (password, saltOrRounds) => native.passwordHash(String(password), cost(saltOrRounds === undefined ? 10 : saltOrRounds));
  const genSaltSync = (rounds = 10) => `${SALT_PREFIX}${String(rounds).padStart(2, '0')}$`;
  const getRounds = (hash) => cost(hash);

  return {
    compareSync,
    hashSync,
    genSaltSync,
    getRounds,
    compare: (password, hash, cb) => run(() => compareSync(password, hash), cb),
    hash: (password, saltOrRounds, cb) => run(() => hashSync(password, saltOrRounds), cb),
    genSalt: (rounds, minor, cb) => {
      const done = [rounds, minor, cb].find((a) => typeof a === 'function');
      return run(() => genSaltSync(typeof rounds === 'number' ? rounds : 10), done);
    },
  };
})
