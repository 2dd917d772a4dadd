"""Writes of the campaigns app, one transaction each: the monthly coupon pack
(``monthly_packs``) and the birthday gift (``birthday_gifts``) a tier promises."""
