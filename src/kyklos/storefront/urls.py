from django.urls import path

from kyklos.storefront import views

# Mounted at ``/``: the shop's home is the site's home; the rest lives under ``/shop/``.
app_name = "storefront"
_SHOP = [
    path("products/<slug:code>/", views.product, name="product"),
    path("cart/", views.cart_view, name="cart"),
    path("cart/add/", views.cart_add, name="cart_add"),
    path("cart/domain/", views.cart_domain, name="cart_domain"),
    path("cart/transfer/", views.cart_transfer, name="cart_transfer"),
    path("cart/remove/", views.cart_remove, name="cart_remove"),
    path("cart/coupon/", views.cart_coupon, name="cart_coupon"),
    path("cart/buyer/", views.cart_buyer, name="cart_buyer"),
    path("checkout/", views.checkout, name="checkout"),
    path("signup/", views.signup, name="signup"),
    path("signup/sent/", views.signup_sent, name="signup_sent"),
    path("verify/<str:token>/", views.verify, name="verify"),
    path("terms/", views.terms, name="terms"),
    path("terms/<str:version>/", views.terms, name="terms_version"),
    path("password-reset/", views.password_reset, name="password_reset"),
    path("password-reset/sent/", views.reset_sent, name="reset_sent"),
    path("password-reset/<str:uidb64>/<str:token>/", views.reset_confirm, name="reset_confirm"),
]
urlpatterns = [
    path("", views.home, name="home"),
    *[path(f"shop/{p.pattern}", p.callback, name=p.name) for p in _SHOP],
]
