import { Migration } from "@medusajs/framework/mikro-orm/migrations";

export class Migration20261201162439 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table if exists "pagoefectivo_refund" add column if not exists "call_lease_until" timestamptz null, add column if not exists "credit_line_owed" text null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table if exists "pagoefectivo_refund" drop column if exists "call_lease_until", drop column if exists "credit_line_owed";`);
  }

}
