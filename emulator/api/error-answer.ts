/**
 * What an error answer of the emulator says, for the dashboard and the VS Code extension alike: the emulator's
 * explanation header first (the management API answers as Azure does, often with an empty body), then Azure's body
 * ({"Message", "ExceptionMessage"}), then the dashboard API's {"error"}. Browser-safe (fetch's Response only).
 */
export function errorMessage(response: Response, text: string): string {
  const explained = response.headers.get("x-durable-devkit-error");
  if (explained) {
    try {
      return decodeURIComponent(explained);
    } catch {
      return explained;
    }
  }
  try {
    const parsed = JSON.parse(text) as { error?: string; message?: string; Message?: string; ExceptionMessage?: string } | string;
    if (typeof parsed === "string") return parsed;
    return parsed.error ?? parsed.ExceptionMessage ?? parsed.Message ?? parsed.message ?? text;
  } catch {
    return text;
  }
}
