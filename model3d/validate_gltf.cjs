// Run Khronos glTF-Validator (npm gltf-validator) over GLB files; prints one JSON line per file:
// {file, errors, warnings, messages: [errors and warnings]}. Usage: node validate_gltf.cjs a.glb b.glb …
const path = require("path");
const fs = require("fs");
const validator = require(path.join(__dirname, "..", "node_modules", "gltf-validator"));

(async () => {
  for (const file of process.argv.slice(2)) {
    const report = await validator.validateBytes(new Uint8Array(fs.readFileSync(file)), {maxIssues: 50});
    const messages = report.issues.messages.filter(m => m.severity <= 1);
    console.log(JSON.stringify({file, errors: report.issues.numErrors, warnings: report.issues.numWarnings,
                                infos: report.issues.numInfos, messages}));
  }
})().catch(err => { console.error(err); process.exit(2); });
