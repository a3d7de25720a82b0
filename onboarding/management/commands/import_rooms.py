"""Import rooms and landlords from a room register (onboarding.rooms).

    manage.py import_rooms --template rooms.xlsx            # the template to fill in
    manage.py import_rooms 登记表.xlsx --community 530112001001 --dry-run --report rows.csv
    manage.py import_rooms register.csv --map 门牌=address --map 间号=number --all-or-nothing
"""

from django.core.management.base import BaseCommand, CommandError

from onboarding.management.reporting import run_import
from onboarding.rooms import RoomOptions, import_rooms
from onboarding.rooms.template import write_template


class Command(BaseCommand):
    help = ("导入出租房屋登记表 / Import rooms and landlords from a register (.xlsx or .csv in UTF-8 or GB18030); "
            "re-importing updates rooms in place by building + floor + room number.")

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", help="the register: .xlsx or .csv")
        parser.add_argument("--template", metavar="FILE.xlsx", help="write the register template and stop")
        parser.add_argument("--sheet", help="worksheet name (default: the first)")
        parser.add_argument("--map", action="append", default=[], metavar="COLUMN=FIELD",
                            help="a column the built-in names do not know, e.g. 门牌=address (repeatable); fields: "
                                 "building, address, floor, number, area, rent, capacity, status, landlord_name, "
                                 "landlord_phone, consent, consent_date, consent_method")
        parser.add_argument("--community", metavar="CODE", help="match buildings of this community only")
        parser.add_argument("--dry-run", action="store_true", help="check and report, write nothing")
        parser.add_argument("--all-or-nothing", action="store_true", help="write nothing when any row has an error")
        parser.add_argument("--report", metavar="FILE.csv", help="write one row per register row to this CSV file")

    def handle(self, *args, path, template, report, verbosity, **opts):
        if template:
            write_template(template)
            self.stdout.write(f"template: {template}")
            return
        if not path:
            raise CommandError("give the register file, or --template FILE.xlsx")
        run_import(self, lambda: import_rooms(path, RoomOptions(
            sheet=opts["sheet"], column_map=tuple(opts["map"]), community=opts["community"],
            dry_run=opts["dry_run"], all_or_nothing=opts["all_or_nothing"])), report_path=report, verbosity=verbosity)
