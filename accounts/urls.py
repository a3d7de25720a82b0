from django.contrib.auth.views import LoginView, LogoutView
from django.urls import path

urlpatterns = [
    # Where role_required sends anonymous staff (police feed, …): settings.LOGIN_URL.
    path("login/", LoginView.as_view(template_name="accounts/login.html"), name="login"),
    path("logout/", LogoutView.as_view(next_page="/"), name="logout"),
]
