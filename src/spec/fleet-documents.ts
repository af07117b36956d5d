import { listFleetFiles, showPath } from './fleet-files.js';
import { readYamlSource } from './yaml-source.js';
import { sortProblems, type Problem } from './problem.js';

/** One declaration file's single document, as written (no defaults merged, no schema applied). */
export interface FleetDocument {
  stage: string;
  /** The file as problems name it. */
  file: string;
  value: unknown;
}

/** Every document under `clusters/` that could be read and parsed, and a problem for each file that could not. */
export interface FleetDocuments {
  documents: FleetDocument[];
  problems: Problem[];
}

/**
 * Reads every declaration file by the file rules and the parsing bounds of loadFleet, without
 * validating it against this code's schema (a revision's own code has done that). Synchronous and
 * bounded per file; the reconciler runs it off its event loop through readFleetDocuments.
 */
export function collectFleetDocuments(root: string): FleetDocuments {
  const listed = listFleetFiles(root);
  const documents: FleetDocument[] = [];
  const problems: Problem[] = [...listed.problems];
  for (const stage of listed.stages) {
    const files = [...(stage.stageFile ? [stage.stageFile] : []), ...stage.clusterFiles].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
    for (const f of files) {
      const r = readYamlSource(f);
      problems.push(...r.problems);
      if (r.source) documents.push({ stage: stage.name, file: showPath(f.file), value: r.source.value });
    }
  }
  return { documents, problems: sortProblems(problems) };
}
