from django.contrib import admin

from patron.campaigns.models import MonthlyCouponPack


@admin.register(MonthlyCouponPack)
class MonthlyCouponPackAdmin(admin.ModelAdmin[MonthlyCouponPack]):
    list_display = ["month", "member", "tier", "coupon_template", "count", "issued", "state"]
    list_filter = ["state", "month", "shop"]
    search_fields = ["member__external_id"]
    readonly_fields = [f.name for f in MonthlyCouponPack._meta.fields]

    def has_add_permission(self, request: object) -> bool:
        return False
