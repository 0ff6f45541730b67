/**
 * Deployment refs (ostree's generate_deployment_refs, spec ostree.md §7 step 4): the repo ref
 * `ostree/<B>/<S>/<i>` names the commit of deployment i of the live boot configuration (B, S).
 * They keep real `ostree prune` and `ostree admin cleanup` off the deployments' stub commits.
 * Written after every boot-configuration change and again by cleanup (which finishes the job
 * after a crash); the refs of other (B, S) pairs are deleted.
 */
import { type Fs, removeTree } from '../io/fs.js';
import { writeRef } from '../ostree/refs.js';
import { paths } from './layout.js';

export function writeDeploymentRefs(f: Fs, sysroot: string, bootversion: number, subbootversion: number, commits: string[]): void {
  const heads = paths.deploymentRefs(sysroot);
  removeTree(f, `${heads}/${1 - bootversion}/0`);
  removeTree(f, `${heads}/${1 - bootversion}/1`);
  removeTree(f, `${heads}/${bootversion}/${1 - subbootversion}`);
  const dir = `${heads}/${bootversion}/${subbootversion}`;
  if (f.stat(dir)?.isDirectory()) {
    for (const name of f.readdir(dir).map((b) => b.toString('latin1'))) {
      if (!/^\d+$/.test(name) || Number(name) >= commits.length) removeTree(f, `${dir}/${name}`);
    }
  }
  const repo = { path: paths.repo(sysroot), tmpDir: `${paths.repo(sysroot)}/tmp`, fs: f };
  commits.forEach((csum, i) => {
    const ref = `${dir}/${i}`;
    if (f.stat(ref)?.isFile() && f.readFile(ref).toString() === `${csum}\n`) return;
    writeRef(repo, `ostree/${bootversion}/${subbootversion}/${i}`, csum);
  });
}
