/** The app's httpTrigger functions as routes under the route prefix ("api" by default, as in Azure). */
import type { RegisteredFunction } from "../core/functions";
import { parseRouteTemplate, type RouteTemplate } from "./route-template";

export interface AppRoute {
  functionName: string;
  methods: string[];
  template: RouteTemplate;
  /** The URL path as `func start` prints it, e.g. /api/orchestrators/{orchestratorName}. */
  displayPath: string;
}

export type RouteMatch = { kind: "found"; route: AppRoute; params: Record<string, string> } | { kind: "wrongMethod"; allowed: string[] } | { kind: "none" };

export class AppRoutes {
  readonly routes: AppRoute[];

  constructor(
    functions: readonly RegisteredFunction[],
    readonly prefix: string,
  ) {
    this.routes = functions
      .filter((fn) => fn.kind === "http")
      .map((fn) => {
        const trigger = Object.values(fn.bindings).find((binding) => /^httptrigger$/i.test(binding.type)) ?? { type: "httpTrigger" };
        const route = typeof trigger.route === "string" && trigger.route ? trigger.route : fn.name;
        const methods = Array.isArray(trigger.methods) && trigger.methods.length ? (trigger.methods as string[]).map((m) => m.toUpperCase()) : ["GET", "POST"];
        const template = parseRouteTemplate(route);
        return { functionName: fn.name, methods, template, displayPath: `/${[prefix, template.template].filter(Boolean).join("/")}` };
      })
      .sort((a, b) => b.template.specificity - a.template.specificity);
  }

  /** `path` is the request path without the query string. */
  match(method: string, path: string): RouteMatch {
    const prefix = this.prefix ? `/${this.prefix}` : "";
    if (prefix && path.toLowerCase() !== prefix && !path.toLowerCase().startsWith(`${prefix}/`)) return { kind: "none" };
    const rest = path.slice(prefix.length);
    const allowed: string[] = [];
    for (const route of this.routes) {
      const params = route.template.match(rest);
      if (!params) continue;
      if (route.methods.includes(method.toUpperCase())) return { kind: "found", route, params };
      allowed.push(...route.methods);
    }
    return allowed.length ? { kind: "wrongMethod", allowed: [...new Set(allowed)] } : { kind: "none" };
  }
}
