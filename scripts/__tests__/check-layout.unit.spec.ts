import fs from "fs"
import path from "path"

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { missingPaths } = require("../check-layout.js") as { missingPaths: (md: string, exists?: (p: string) => boolean) => string[] }

const DOC = fs.readFileSync(path.join(__dirname, "..", "..", "docs", "developing.md"), "utf8")

describe("docs/developing.md's Layout", () => {
  it("names only paths the tree has", () => {
    expect(missingPaths(DOC)).toEqual([])
  })

  it("reports a path the tree lacks, a line's folder or a file named after it", () => {
    const doc = "## Layout\n\n```\nsrc/workflows   process-notification.ts, gone.ts;\n                steps/\nsrc/nowhere     x.ts\n```\n"
    expect(missingPaths(doc)).toEqual(["src/workflows/gone.ts", "src/nowhere", "src/nowhere/x.ts"])
  })
})
