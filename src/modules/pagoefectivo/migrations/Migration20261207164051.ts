import { Migration } from "@medusajs/framework/mikro-orm/migrations";

export class Migration20261207164051 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table if exists "pagoefectivo_cip" drop constraint if exists "pagoefectivo_cip_status_check";`);

    this.addSql(`alter table if exists "pagoefectivo_cip" add column if not exists "refund_attempt" integer not null default 0;`);
    this.addSql(`alter table if exists "pagoefectivo_cip" add constraint "pagoefectivo_cip_status_check" check("status" in ('pending', 'expired', 'paid', 'overpaid', 'deleted'));`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table if exists "pagoefectivo_cip" drop constraint if exists "pagoefectivo_cip_status_check";`);

    this.addSql(`alter table if exists "pagoefectivo_cip" drop column if exists "refund_attempt";`);

    this.addSql(`alter table if exists "pagoefectivo_cip" add constraint "pagoefectivo_cip_status_check" check("status" in ('pending', 'expired', 'paid', 'overpaid'));`);
  }

}
