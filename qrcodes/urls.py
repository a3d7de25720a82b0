from django.urls import path

from qrcodes import views

app_name = "qrcodes"
urlpatterns = [
    path("b/<str:token>/", views.building_page, name="building"),
    path("qr/sheet/", views.sheet_html, name="sheet"),
    path("qr/sheet.svg", views.sheet_svg, name="sheet-svg"),
    path("qr/sheet.pdf", views.sheet_pdf, name="sheet-pdf"),
]
