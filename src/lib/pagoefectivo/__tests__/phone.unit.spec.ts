import { cipPhone } from "../phone"

describe("cipPhone: the address's phone as userPhone / userCodeCountry", () => {
  it("a Peruvian mobile, however it is written", () => {
    for (const written of ["987654321", "987 654 321", "+51 987 654 321", "+51987654321", "0051 987-654-321", "(+51) 987654321"]) {
      expect(cipPhone(written, "pe")).toEqual({ userPhone: "987654321", userCodeCountry: "+51" })
    }
  })

  it("a Lima landline loses its trunk 0", () => {
    expect(cipPhone("01 4411234", "PE")).toEqual({ userPhone: "14411234", userCodeCountry: "+51" })
  })

  it("the country code comes from the number when it has one, else from the address's country", () => {
    expect(cipPhone("+56 9 1234 5678", "pe")).toEqual({ userPhone: "912345678", userCodeCountry: "+56" })
    expect(cipPhone("3001234567", "co")).toEqual({ userPhone: "3001234567", userCodeCountry: "+57" })
    expect(cipPhone("+593 99 123 4567", "ec")).toEqual({ userPhone: "991234567", userCodeCountry: "+593" })
  })

  it("leaves out what it cannot split with confidence", () => {
    expect(cipPhone(undefined, "pe")).toBeNull()
    expect(cipPhone("", "pe")).toBeNull()
    expect(cipPhone("987654321", undefined)).toBeNull() // no country, no +code
    expect(cipPhone("987654321", "zz")).toBeNull()
    expect(cipPhone("+999 1234567", "pe")).toBeNull() // unknown calling code
    expect(cipPhone("12345", "pe")).toBeNull() // too short
    expect(cipPhone("1234567890123456", "pe")).toBeNull() // more than 15 digits
    expect(cipPhone("call me", "pe")).toBeNull()
  })
})
