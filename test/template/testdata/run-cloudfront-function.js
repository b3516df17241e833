// Runs a CloudFront Function the way the cloudfront-js-2.0 runtime calls it:
// the code file (argv[2]) is loaded as a script in a fresh context for each
// event, then handler(event) is called. Events come on stdin as a JSON
// array; the handlers' results go to stdout as a JSON array.
'use strict';
const fs = require('fs');
const vm = require('vm');

const code = fs.readFileSync(process.argv[2], 'utf8');
const events = JSON.parse(fs.readFileSync(0, 'utf8'));
const results = events.map((event) => {
  const context = vm.createContext({});
  vm.runInContext(code, context, { filename: 'cloudfront-function.js' });
  if (typeof context.handler !== 'function') {
    throw new Error('the code defines no handler function');
  }
  return context.handler(event);
});
process.stdout.write(JSON.stringify(results));
