// Calls a front-end makes, type-checked (tsc --noEmit) against the client that
// tests/clients/test_typescript_client.py generates from the schema with openapi-typescript
// into ./api.ts. Nothing here runs: the test proves the generated types allow these calls and
// read these answers, and refuse the wrong ones (each @ts-expect-error must be an error).
import createClient from "openapi-fetch";

import type { components, paths } from "./api";

type Initiative = components["schemas"]["Initiative"];

const client = createClient<paths>({
  baseUrl: "http://127.0.0.1:8000",
  headers: { Authorization: "Bearer a-token" },
});

// A list answers its JSON page (not a union with a CSV string).
export async function firstTitle(): Promise<string> {
  const { data, error } = await client.GET("/api/v1/initiatives/", {
    params: { query: { status: ["announced", "in_progress"], owner_agency: ["MIIT", "3"] } },
  });
  if (error !== undefined) {
    throw new Error(JSON.stringify(error));
  }
  const count: number = data.count;
  const first: Initiative = data.results[0];
  return `${count}: ${first.title}`;
}

// Several statuses at once, given as an array (sent as status=planned&status=in_progress).
export async function openMilestoneIds(initiative: number): Promise<number[]> {
  const { data } = await client.GET("/api/v1/milestones/", {
    params: { query: { status: ["planned", "in_progress"], initiative: [initiative] } },
  });
  return (data?.results ?? []).map((milestone) => milestone.id);
}

// A detail's id is a number, in the path and in the body; its ETag is a header.
export async function readDetail(id: number): Promise<[number, string | null]> {
  const { data, response } = await client.GET("/api/v1/initiatives/{id}/", {
    params: { path: { id } },
  });
  const same: number | undefined = data?.id;
  const parent: number | undefined = data?.parent?.id; // parent may be null
  return [same ?? parent ?? 0, response.headers.get("ETag")];
}

// A write carries the ETag read as If-Match; a stale one is a 412 with an error body.
export async function setProgress(id: number, etag: string): Promise<number | string> {
  const { data, error, response } = await client.PATCH("/api/v1/initiatives/{id}/", {
    params: { path: { id }, header: { "If-Match": etag } },
    body: { progress: 60, target_date: null },
  });
  if (response.status === 412 && error !== undefined && "detail" in error) {
    return String(error.detail);
  }
  return data?.version ?? 0;
}

// Post a progress update that moves the initiative along.
export async function postUpdate(id: number, etag: string): Promise<string | undefined> {
  const { data } = await client.POST("/api/v1/initiatives/{id}/updates/", {
    params: { path: { id }, header: { "If-Match": etag } },
    body: { body: "Construction has started.", status: "in_progress", progress: 30 },
  });
  const posted: string | undefined = data?.posted_at;
  return posted ?? data?.status;
}

// Every filtered row as CSV is its own operation.
export async function exportCsv(): Promise<string | undefined> {
  const { data } = await client.GET("/api/v1/milestones/export/", {
    params: { query: { status: ["planned"] } },
    parseAs: "text",
  });
  return data;
}

// What the types refuse.
export function refused(): void {
  // @ts-expect-error: no such milestone status
  void client.GET("/api/v1/milestones/", { params: { query: { status: ["someday"] } } });
  // @ts-expect-error: ids are numbers
  void client.GET("/api/v1/initiatives/{id}/", { params: { path: { id: "1" } } });
  // @ts-expect-error: parent ids are numbers
  void client.GET("/api/v1/initiatives/", { params: { query: { parent: ["1"] } } });
  // @ts-expect-error: a list's title is not a number
  void client.GET("/api/v1/initiatives/").then(({ data }) => data?.results[0].title satisfies number);
}
