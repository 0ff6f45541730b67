/**
 * Run by the Windows node.exe under Wine: `node.exe driver.mjs JOBS.json RESULTS.json`. Reads the
 * job list, runs it (jobs.mjs) and writes the results with the platform it ran on. Its stdout is
 * not used: under Wine a Windows process's stdout to a pipe fails (EBADF).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { runJobs } from './jobs.mjs';

const [jobsFile, resultsFile] = process.argv.slice(2);
const results = await runJobs(JSON.parse(readFileSync(jobsFile, 'utf8')));
writeFileSync(resultsFile, JSON.stringify({ platform: process.platform, version: process.version, results }));
