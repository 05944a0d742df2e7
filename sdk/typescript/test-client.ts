// The generated TypeScript client (@hey-api/openapi-ts) against a live credcheck.
//
// Run by sdk/run.sh: it generates ./client from openapi/openapi.json, type-checks this file with `tsc --strict`,
// starts the service and runs it with tsx, CREDCHECK_URL set. The SDK validates every JSON response against the
// spec's zod schemas; the assertions below check the decoded values. Any failure exits non-zero.
//
// The regions between `// docs:start NAME` and `// docs:end NAME` are the TypeScript snippets of
// docs/integrators.md, character for character, in order; sdk/docs_snippets.py fails when they drift.
// Everything outside them is the test's own assertions.
import assert from 'node:assert/strict';

// docs:start ts-client
import {
  Accreditor,
  type Applicant,
  type BatchItemResult,
  checkEligibility,
  checkEligibilityBatch,
  CredentialId,
  Detail,
  Discipline,
  type EligibilityRequest,
  getCredential,
  HighSchoolCredential,
  InstitutionAccreditation,
  listCredentials,
  ProgramStatus,
  StateCode,
  Status,
  Verdict,
} from './client';
import { client } from './client/client.gen';
import { zBatchItemResult } from './client/zod.gen';

client.setConfig({ baseUrl: process.env.CREDCHECK_URL ?? 'http://127.0.0.1:8000' });
// docs:end ts-client

console.log('--- check: POST /v1/eligibility');
// docs:start ts-check
const graduate: Applicant = {
  birth_date: '2001-04-09',
  high_school: { credential: HighSchoolCredential.DIPLOMA },
  programs: [
    {
      discipline: Discipline.MEDICAL_ASSISTING,
      status: ProgramStatus.COMPLETED,
      completion_date: '2026-06-12',
      accreditor: Accreditor.CAAHEP,
      institution_accreditation: InstitutionAccreditation.USDE,
      clock_hours: 900,
      clinical_hours: 180,
    },
  ],
};
const { data: result, response } = await checkEligibility({
  body: {
    as_of: '2026-11-23', // pin the date to be able to reproduce the answer
    state: StateCode.WA,
    credentials: [CredentialId.AAMA_CMA, CredentialId.NHA_CCMA, CredentialId.AMT_CMAS],
    detail: Detail.STANDARD, // every route and criterion (the default, summary, gives each credential in brief)
    applicant: graduate,
  },
  throwOnError: true, // a problem+json answer is thrown (as the Problem object)
});
console.log('rules', result.rules.id, '=', response.headers.get('X-Rules-Version'), 'as of', result.as_of);
console.log('eligible for', result.eligible);
for (const credential of result.credentials) {
  console.log(credential.id, credential.status, 'inputs needed:', credential.inputs_needed);
  if (credential.status === Verdict.UNDETERMINED) {
    for (const route of credential.routes ?? []) {
      for (const criterion of route.criteria) {
        if (criterion.status === Status.UNKNOWN) {
          console.log('  ', route.id, criterion.id, 'missing:', criterion.missing_inputs);
        }
      }
    }
  }
}
// docs:end ts-check

assert.equal(response.status, 200);
assert.equal(response.headers.get('content-type'), 'application/json');
assert.equal(result.as_of, '2026-11-23');
assert.equal(response.headers.get('X-Rules-Version'), result.rules.id);
assert.ok(result.rules.id.startsWith(`${result.rules.version}+sha256.`));
assert.ok(result.eligible.includes(CredentialId.AAMA_CMA), `eligible: ${result.eligible}`);
assert.deepEqual(
  result.credentials.map((c) => c.id),
  ['aama.cma', 'nha.ccma', 'amt.cmas'],
);
const statuses = new Map(result.credentials.map((c) => [c.id, c.status] as const));
assert.equal(statuses.get('aama.cma'), Verdict.ELIGIBLE);
assert.equal(statuses.get('nha.ccma'), Verdict.ELIGIBLE);
assert.equal(statuses.get('amt.cmas'), Verdict.UNDETERMINED);
const [cmaResult, , cmasResult] = result.credentials;
assert.ok(cmaResult && cmasResult);
assert.deepEqual(cmaResult.eligible_routes, ['aama.cma.category-1']);
assert.deepEqual(cmaResult.inputs_needed, []);
assert.equal(cmaResult.routes?.[0]?.status, Status.MET);
assert.ok(cmasResult.inputs_needed.length > 0, 'an undetermined credential says what could decide it');
const unknown = (cmasResult.routes ?? []).flatMap((r) => r.criteria).filter((c) => c.status === Status.UNKNOWN);
assert.ok(unknown.length > 0 && unknown.every((c) => (c.missing_inputs ?? []).length > 0));
assert.equal(result.state?.code, 'WA');
assert.ok((result.state?.notes.length ?? 0) > 0);

console.log('--- catalogue: GET /v1/credentials, GET /v1/credentials/{credential_id}');
// docs:start ts-catalogue
const { data: catalogue } = await listCredentials({ throwOnError: true });
for (const summary of catalogue.credentials) {
  console.log(summary.id, summary.designation, summary.routes.length, 'routes');
}

const { data: cma } = await getCredential({ path: { credential_id: 'aama.cma' }, throwOnError: true });
for (const routeDef of cma.routes) {
  console.log(routeDef.id, routeDef.verification.confidence, routeDef.criteria.length, 'criteria');
}

const { error: notFound, response: notFoundResponse } = await getCredential({ path: { credential_id: 'no.such' } });
console.log(notFoundResponse.status, notFound?.title, notFound?.detail);
// docs:end ts-catalogue

const ids = catalogue.credentials.map((c) => c.id);
assert.ok(ids.includes('aama.cma'));
assert.equal(new Set(ids).size, ids.length);
assert.equal(ids.length, Object.values(CredentialId).length);
assert.equal(cma.id, 'aama.cma');
assert.equal(cma.designation, 'CMA (AAMA)');
assert.equal(cma.body.id, 'aama');
assert.equal(cma.routes[0]?.id, 'aama.cma.category-1');
assert.ok(cma.facts.length > 0 && cma.sources.length > 0);
assert.equal(notFoundResponse.status, 404);
assert.equal(notFoundResponse.headers.get('content-type'), 'application/problem+json');
assert.equal(notFound?.status, 404);
assert.ok(notFound?.type.endsWith('/not-found'));

console.log('--- batch: POST /v1/eligibility/batch (JSON)');
// docs:start ts-batch
const { data: answer } = await checkEligibilityBatch({
  body: {
    as_of: '2026-11-23',
    credentials: [CredentialId.AAMA_CMA],
    items: [
      { id: 'student-001', applicant: graduate },
      { id: 'student-002', applicant: { programs: [], certifications: [] } },
    ],
  },
  throwOnError: true,
});
console.log(answer.count, 'items,', answer.failed, 'failed, rules', answer.rules.id);
for (const item of answer.items) {
  if (item.ok) {
    for (const outcome of item.credentials ?? []) {
      console.log(item.id, outcome.id, outcome.status, outcome.nearest_route, outcome.missing_criteria);
    }
  } else {
    console.log(item.id, 'invalid:', item.problem?.detail);
  }
}
// docs:end ts-batch

assert.equal(answer.as_of, '2026-11-23');
assert.deepEqual([answer.count, answer.succeeded, answer.failed], [2, 2, 0]);
const [first, second] = answer.items;
assert.ok(first && second);
assert.deepEqual([first.id, first.ok, first.eligible], ['student-001', true, ['aama.cma']]);
assert.equal(first.credentials?.[0]?.status, Verdict.ELIGIBLE);
assert.deepEqual([second.id, second.ok, second.eligible], ['student-002', true, []]);
assert.equal(second.credentials?.[0]?.status, Verdict.INELIGIBLE);
assert.ok(second.credentials?.[0]?.nearest_route);
assert.ok((second.credentials?.[0]?.missing_criteria.length ?? 0) > 0);

console.log('--- batch: POST /v1/eligibility/batch (NDJSON stream)');
// docs:start ts-stream
// Ask for NDJSON and read the body as a stream; decode and validate each line with the SDK's zod schema.
const untrustedRow = JSON.parse('{"programs": [{"discipline": "medical-assisting", "clock_hours": "many"}]}');
const { response: stream } = await checkEligibilityBatch({
  body: {
    as_of: '2026-11-23',
    credentials: [CredentialId.AAMA_CMA],
    items: [
      { id: 'row-1', applicant: graduate },
      { id: 'row-2', applicant: untrustedRow },
    ],
  },
  headers: { Accept: 'application/x-ndjson' },
  parseAs: 'stream',
  throwOnError: true,
});
console.log('as of', stream.headers.get('X-As-Of'), 'rules', stream.headers.get('X-Rules-Version'));
const rows: BatchItemResult[] = [];
let buffered = '';
for await (const chunk of stream.body!.pipeThrough(new TextDecoderStream())) {
  buffered += chunk;
  const lines = buffered.split('\n');
  buffered = lines.pop() ?? '';
  for (const line of lines) {
    if (line) rows.push(zBatchItemResult.parse(JSON.parse(line)));
  }
}
for (const row of rows) {
  if (row.ok) {
    console.log(row.id, 'eligible for', row.eligible);
  } else {
    // an invalid item fails alone, with its own problem
    console.log(row.id, row.problem?.errors.map((error) => [error.field, error.message]));
  }
}
// docs:end ts-stream

assert.equal(stream.headers.get('content-type'), 'application/x-ndjson');
assert.equal(stream.headers.get('X-As-Of'), '2026-11-23');
assert.equal(buffered, '');
assert.deepEqual(
  rows.map((r) => r.id),
  ['row-1', 'row-2'],
);
assert.ok(rows[0]?.ok);
assert.deepEqual(rows[0]?.eligible, ['aama.cma']);
assert.equal(rows[1]?.ok, false);
assert.equal(rows[1]?.problem?.status, 422);
assert.ok(rows[1]?.problem?.type.endsWith('/invalid-applicant'));
assert.equal(rows[1]?.problem?.errors[0]?.field, 'applicant.programs[0].clock_hours');

console.log('--- problem: 422 application/problem+json');
// docs:start ts-problem
// A request built from untrusted input: the types are not checked at run time; the service checks it.
const untrusted: EligibilityRequest = JSON.parse(
  '{"applicant": {"programs": [{"discipline": "medical-assisting", "clock_hours": "many"}]}}',
);
const { data: none, error: problem, response: failed } = await checkEligibility({ body: untrusted });
if (problem) {
  console.log(failed.status, problem.title, '-', problem.detail);
  for (const error of problem.errors ?? []) {
    console.log(error.field, error.type, error.message);
  }
}
// docs:end ts-problem

assert.equal(none, undefined);
assert.equal(failed.status, 422);
assert.equal(failed.headers.get('content-type'), 'application/problem+json');
assert.ok(problem);
assert.equal(problem.status, 422);
assert.equal(problem.type, 'https://credcheck.dev/problems/invalid-request');
assert.equal(problem.instance, '/v1/eligibility');
assert.equal(problem.errors?.length, 1);
assert.equal(problem.errors?.[0]?.field, 'applicant.programs[0].clock_hours');
assert.ok(!`${problem.detail} ${problem.errors?.[0]?.message}`.includes('many'), 'values are never echoed');

console.log('typescript client: all checks passed');
