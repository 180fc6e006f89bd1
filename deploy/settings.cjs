/**
 * What every deployment file's settings share: a value read from the environment of the deploy
 * command, refused when missing or still a placeholder from the docs, with a message naming it.
 */
const PLACEHOLDER = /CHANGE-ME|xxxx|my-cogs-bucket|…/;

/** A reader of the required setting `name`; `what` says what it is for, `example` shows a value. */
function required(name, what, example) {
  return () => {
    const value = (process.env[name] ?? '').trim();
    if (!value) throw new Error(`${name} is not set: ${what}. Set it for the deploy command itself, e.g. export ${name}=${example}`);
    if (PLACEHOLDER.test(value)) throw new Error(`${name}=${value} is a placeholder from the docs: ${what}`);
    return value;
  };
}

module.exports = { PLACEHOLDER, required };
