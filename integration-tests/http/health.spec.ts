import { medusaIntegrationTestRunner } from "@medusajs/test-utils"

medusaIntegrationTestRunner({
  testSuite: ({ api }) => {
    describe("harness", () => {
      it("answers /health", async () => {
        const res = await api.get("/health")
        expect(res.status).toBe(200)
      })
    })
  },
})
