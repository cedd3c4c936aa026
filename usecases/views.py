from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from .permissions import get_use_case_for_user, visible_use_cases


@login_required
def use_case_list(request):
    use_cases = visible_use_cases(request.user).select_related("value_owner")
    return render(request, "usecases/list.html", {"use_cases": use_cases})


@login_required
def use_case_detail(request, pk):
    use_case = get_use_case_for_user(request.user, pk)
    return render(request, "usecases/detail.html", {"use_case": use_case})
