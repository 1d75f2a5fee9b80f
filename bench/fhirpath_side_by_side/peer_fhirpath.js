// Time fhirpath.js (npm "fhirpath", installed in this folder) on the side-by-side's expressions; prints one JSON line.
// Run by run.py: node peer_fhirpath.js BUNDLE.json EXPRESSIONS.json RUNS
const fs = require("fs");
const fhirpath = require("fhirpath");

const bundle = JSON.parse(fs.readFileSync(process.argv[2]));
const expressions = JSON.parse(fs.readFileSync(process.argv[3]));
const runs = Number(process.argv[4]);
const compiled = Object.fromEntries(Object.entries(expressions).map(([id, expr]) => [id, fhirpath.compile(expr)]));
const samples = [];
let answers = {};
for (let i = 0; i < runs; i++) {
  const start = process.cpuUsage();
  answers = Object.fromEntries(Object.entries(compiled).map(([id, fn]) => [id, fn(bundle)]));
  const used = process.cpuUsage(start);
  samples.push((used.user + used.system) / 1000);
}
samples.sort((a, b) => a - b);
console.log(JSON.stringify({ engine: "fhirpath.js", ms: samples, answers }));
